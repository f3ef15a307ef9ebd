"""The public form's words in English and Spanish (the languages the clinic serves). Crisis
resources come from domain/crisis.py and the consent text from consent/<version>/<language>.txt,
so each is written once."""

from __future__ import annotations

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title": "Ask about treatment",
        "skip": "Skip to main content",
        "intro": "Tell us a little about what is going on and how to reach you. A care coordinator will contact you.",
        "not_watched": (
            "This form is not watched around the clock. A coordinator reads it during office hours, "
            "so it can take until the next working day to hear back."
        ),
        "name": "Your name",
        "phone": "Phone number",
        "email": "Email address",
        "reach_hint": "Give a phone number or an email address (or both).",
        "method": "How should we contact you?",
        "method_call": "Call me",
        "method_text": "Text me",
        "method_email": "Email me",
        "time": "Best time to reach you (optional)",
        "time_hint": "For example: weekday mornings",
        "message": "What would you like help with?",
        "message_hint": "A few sentences are enough. Please do not include anything you do not want us to know.",
        "writing_for": "Who is this for?",
        "for_self": "Me",
        "for_family_member": "A family member",
        "for_friend": "A friend",
        "for_other": "Someone else",
        "veteran": "Are you a veteran? (optional)",
        "yes": "Yes",
        "no": "No",
        "consent": "I agree to be contacted",
        "honeypot": "Leave this field empty",
        "submit": "Send",
        "errors": "Please correct the following:",
        "thanks_title": "Thank you — we have your message",
        "reference": "Your reference",
        "keep_reference": "Keep this reference: quote it if you contact the clinic.",
        "next": "A care coordinator will contact you in the way you asked, usually within one working day.",
        "other_language": "Español",
        "other_language_href": "/inquiry?lang=es",
        "optional": "(optional)",
        "danger_now": "If you might act on thoughts of harming yourself, please call or text 988 now, or call 911 if you are in immediate danger. Do not wait for us to reply.",
    },
    "es": {
        "title": "Consulte sobre el tratamiento",
        "skip": "Saltar al contenido principal",
        "intro": "Cuéntenos un poco lo que pasa y cómo comunicarnos con usted. Un coordinador de atención se pondrá en contacto.",
        "not_watched": (
            "Este formulario no se vigila las 24 horas. Un coordinador lo lee en horario de oficina, "
            "así que la respuesta puede tardar hasta el siguiente día hábil."
        ),
        "name": "Su nombre",
        "phone": "Número de teléfono",
        "email": "Correo electrónico",
        "reach_hint": "Indique un teléfono o un correo electrónico (o ambos).",
        "method": "¿Cómo prefiere que le contactemos?",
        "method_call": "Llámeme",
        "method_text": "Envíeme un mensaje de texto",
        "method_email": "Escríbame por correo",
        "time": "Mejor horario para contactarle (opcional)",
        "time_hint": "Por ejemplo: mañanas entre semana",
        "message": "¿En qué le podemos ayudar?",
        "message_hint": "Unas pocas frases bastan. No incluya nada que no quiera que sepamos.",
        "writing_for": "¿Para quién es?",
        "for_self": "Para mí",
        "for_family_member": "Un familiar",
        "for_friend": "Un amigo o amiga",
        "for_other": "Otra persona",
        "veteran": "¿Es usted veterano? (opcional)",
        "yes": "Sí",
        "no": "No",
        "consent": "Acepto que me contacten",
        "honeypot": "Deje este campo vacío",
        "submit": "Enviar",
        "errors": "Por favor, corrija lo siguiente:",
        "thanks_title": "Gracias — hemos recibido su mensaje",
        "reference": "Su número de referencia",
        "keep_reference": "Guarde este número: menciónelo si se comunica con la clínica.",
        "next": "Un coordinador de atención le contactará de la forma que pidió, normalmente en un día hábil.",
        "other_language": "English",
        "other_language_href": "/inquiry",
        "optional": "(opcional)",
        "danger_now": "Si podría actuar sobre pensamientos de hacerse daño, llame o envíe un texto al 988 ahora, o llame al 911 si está en peligro inmediato. No espere nuestra respuesta.",
    },
}

# Field names as the JSON API has them -> the label key above (error summaries name the label).
FIELD_LABELS = {
    "name": "name",
    "phone": "phone",
    "email": "email",
    "message": "message",
    "preferred_contact_method": "method",
    "preferred_contact_time": "time",
    "writing_for": "writing_for",
    "veteran": "veteran",
    "consent_to_contact": "consent",
}

# Validation messages people read (the API's are for developers); by field, then any.
FRIENDLY = {
    "en": {
        "name": "Enter your name.",
        "message": "Tell us briefly what you would like help with.",
        "consent_to_contact": "Tick the box to agree to be contacted, so a coordinator may reach you.",
        "phone": "Enter a phone number we can call or text, like (714) 555-0142.",
        "email": "Enter an email address like name@example.com.",
        "_reach": "Give a phone number or an email address so we can reach you.",
        "_method": "The way you chose needs its detail: a phone number for a call or text, an email address for email.",
        "_other": "Check this answer.",
    },
    "es": {
        "name": "Escriba su nombre.",
        "message": "Cuéntenos brevemente en qué le podemos ayudar.",
        "consent_to_contact": "Marque la casilla para aceptar que le contactemos.",
        "phone": "Escriba un teléfono al que podamos llamar o escribir, como (714) 555-0142.",
        "email": "Escriba un correo como nombre@ejemplo.com.",
        "_reach": "Indique un teléfono o un correo para poder contactarle.",
        "_method": "La forma que eligió necesita su dato: un teléfono para llamada o texto, un correo para correo.",
        "_other": "Revise esta respuesta.",
    },
}
